#!/usr/bin/env python3
"""Audit installed Python distributions against an offline copy of the PyPA advisory database.

Usage::

    python .ci/audit.py --advisories advisory-database [--path SITE_PACKAGES]
                        [--ignore ID]... [--json]

``--advisories`` is a checked-out copy of https://github.com/pypa/advisory-database (or its
``vulns`` folder): OSV records in YAML. A distribution is affected by a record when the record
names it (PEP 503 normalised, ecosystem PyPI) and its version lies in one of the record's
``ECOSYSTEM`` ranges (``introduced`` / ``fixed`` / ``last_affected`` events, compared with
``packaging.version``) or in its explicit ``versions`` list. Withdrawn records are skipped.

Prints one line per finding and a last line with the counts. Exit status: 0 nothing found,
1 something found, 2 bad input (a one-line message on stderr, nothing on stdout).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

# Cheap line scans that decide which records need a full YAML parse (the pure-Python parser
# takes ~8 ms a record; the database holds thousands, few about installed packages).
_TOP_ID = re.compile(r"^id:\s*\S", re.MULTILINE)
_NAME = re.compile(r"\bname:\s*[\"']?([A-Za-z0-9._-]+)")
_MODIFIED = re.compile(r"^modified:\s*[\"']?(\d{4}-\d{2}-\d{2})", re.MULTILINE)
_WITHDRAWN = re.compile(r"^withdrawn:\s*\S", re.MULTILINE)


class AuditInputError(Exception):
    """The audit cannot run on what it was given (exit status 2)."""


@dataclass(frozen=True)
class Finding:
    """One installed distribution affected by one advisory."""

    package: str
    version: str
    advisory: str
    aliases: tuple[str, ...]
    fixed: tuple[str, ...]

    def line(self) -> str:
        aliases = f" ({', '.join(self.aliases)})" if self.aliases else ""
        fixed = f"fixed in {', '.join(self.fixed)}" if self.fixed else "no fixed version"
        return f"{self.package} {self.version}: {self.advisory}{aliases}, {fixed}"


def normalise(name: str) -> str:
    """PEP 503 name: lower case, runs of ``-``, ``_`` and ``.`` become one ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_distributions(site_packages: Path | None) -> dict[str, set[str]]:
    """Normalised name -> installed versions, of the running interpreter or of ``site_packages``.

    Raises AuditInputError when the folder is missing or holds no distribution.
    """
    if site_packages is None:
        dists: Iterable[metadata.Distribution] = metadata.distributions()
        where = sys.prefix
    else:
        if not site_packages.is_dir():
            raise AuditInputError(f"--path {site_packages}: not a folder")
        dists = metadata.distributions(path=[str(site_packages)])
        where = str(site_packages)
    found: dict[str, set[str]] = {}
    for dist in dists:
        name, version = dist.metadata["Name"], dist.version
        if name and version:
            found.setdefault(normalise(name), set()).add(version)
    if not found:
        raise AuditInputError(f"{where}: holds no installed distributions")
    return found


def advisory_files(root: Path) -> list[Path]:
    """The YAML files under ``root/vulns`` (or ``root`` itself when it has no ``vulns``)."""
    if not root.is_dir():
        raise AuditInputError(f"--advisories {root}: not a folder")
    base = root / "vulns" if (root / "vulns").is_dir() else root
    return sorted(p for p in base.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _after(fixed: str, installed: Version) -> bool:
    """Whether ``fixed`` is a version later than ``installed`` (unreadable ones are kept)."""
    bound = _version(fixed)
    return bound is None or bound > installed


def in_range(version: Version, events: Sequence[dict[str, Any]], advisory: str) -> bool:
    """Whether ``version`` lies in one OSV ECOSYSTEM range (the spec's sorted-events walk)."""
    parsed: list[tuple[str, Version | None]] = []
    for event in events:
        for kind, value in event.items():
            if kind == "introduced" and str(value) == "0":
                parsed.append((kind, None))
            elif (bound := _version(str(value))) is not None:
                parsed.append((kind, bound))
            else:
                print(
                    f"audit: {advisory}: cannot read version {value!r}, event skipped",
                    file=sys.stderr,
                )
    limits = [bound for kind, bound in parsed if kind == "limit" and bound is not None]
    if limits and not any(version < limit for limit in limits):
        return False
    affected = False
    for kind, bound in sorted(parsed, key=lambda e: (e[1] is not None, e[1] or Version("0"))):
        if kind == "introduced" and (bound is None or version >= bound):
            affected = True
        elif bound is not None and (
            (kind == "fixed" and version >= bound) or (kind == "last_affected" and version > bound)
        ):
            affected = False
    return affected


def match_record(record: dict[str, Any], name: str, version: str) -> Finding | None:
    """The finding when ``record`` affects distribution ``name`` at ``version``, else None."""
    installed = _version(version)
    hit = False
    fixed: set[str] = set()
    for entry in record.get("affected") or []:
        package = entry.get("package") or {}
        if package.get("ecosystem") != "PyPI" or normalise(str(package.get("name"))) != name:
            continue
        listed = [str(v) for v in entry.get("versions") or []]
        if any(v == version or (installed and _version(v) == installed) for v in listed):
            hit = True
        for rng in entry.get("ranges") or []:
            if rng.get("type") != "ECOSYSTEM":
                continue
            events = rng.get("events") or []
            fixed |= {str(e["fixed"]) for e in events if "fixed" in e}
            if installed is not None and in_range(installed, events, str(record["id"])):
                hit = True
    if not hit:
        return None
    later = sorted(
        (f for f in fixed if installed is None or _after(f, installed)),
        key=lambda f: (_version(f) or Version("0"), f),
    )
    aliases = tuple(str(a) for a in record.get("aliases") or [])
    return Finding(name, version, str(record["id"]), aliases, tuple(later))


@dataclass
class Audit:
    """What one audit run found, and what it looked at."""

    findings: list[Finding]
    ignored: list[Finding]
    checked: int
    advisories: int
    withdrawn: int
    newest: str | None


def audit(root: Path, dists: dict[str, set[str]], ignore: set[str]) -> Audit:
    """Match every installed distribution against every advisory under ``root``.

    Raises AuditInputError when ``root`` holds no OSV record or a record cannot be read.
    """
    yaml = YAML(typ="safe", pure=True)
    findings: list[Finding] = []
    advisories = withdrawn = 0
    newest: str | None = None
    for path in advisory_files(root):
        text = path.read_text(encoding="utf-8", errors="replace")
        if not _TOP_ID.search(text):
            continue
        advisories += 1
        newest = max([d for d in (newest, *_MODIFIED.findall(text)) if d], default=None)
        if _WITHDRAWN.search(text):
            withdrawn += 1
            continue
        names = {normalise(n) for n in _NAME.findall(text)} & dists.keys()
        if not names:
            continue
        try:
            record = yaml.load(text)
        except YAMLError as err:
            raise AuditInputError(f"{path}: not readable YAML ({err.__class__.__name__})") from err
        try:
            found = [
                match_record(record, name, version)
                for name in sorted(names)
                for version in sorted(dists[name])
            ]
        except (AttributeError, KeyError, TypeError) as err:
            raise AuditInputError(f"{path}: not an OSV record ({err!r})") from err
        findings.extend(f for f in found if f is not None)
    if advisories == 0:
        raise AuditInputError(f"--advisories {root}: holds no advisories (OSV *.yaml records)")
    findings.sort(key=lambda f: (f.package, f.version, f.advisory))
    wanted = {i.upper() for i in ignore}
    ignored = [f for f in findings if wanted & {f.advisory.upper(), *map(str.upper, f.aliases)}]
    kept = [f for f in findings if f not in ignored]
    checked = sum(len(v) for v in dists.values())
    return Audit(kept, ignored, checked, advisories, withdrawn, newest)


def summary(result: Audit) -> str:
    """The last line: what was checked, against what, and what came of it."""
    date = f", newest record {result.newest}" if result.newest else ""
    ignored = f", {len(result.ignored)} ignored" if result.ignored else ""
    return (
        f"{len(result.findings)} finding(s){ignored}: {result.checked} distributions checked "
        f"against {result.advisories} advisories ({result.withdrawn} withdrawn skipped{date})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the audit from the command line; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--advisories",
        type=Path,
        required=True,
        help="a copy of pypa/advisory-database, or its vulns folder",
    )
    parser.add_argument("--path", type=Path, help="site-packages to audit (default: this Python's)")
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="ID",
        help="advisory id or alias explained elsewhere (repeatable)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    try:
        result = audit(args.advisories, installed_distributions(args.path), set(args.ignore))
    except (AuditInputError, OSError) as err:
        print(f"audit: {err}", file=sys.stderr)
        return 2
    seen = {i.upper() for f in result.ignored for i in (f.advisory, *f.aliases)}
    for unused in sorted(i for i in args.ignore if i.upper() not in seen):
        print(f"audit: --ignore {unused}: matched no finding", file=sys.stderr)
    if args.json:
        print(
            json.dumps(
                {
                    "findings": [asdict(f) for f in result.findings],
                    "ignored": [asdict(f) for f in result.ignored],
                    "checked": result.checked,
                    "advisories": result.advisories,
                    "withdrawn": result.withdrawn,
                    "newest_record": result.newest,
                },
                indent=2,
            )
        )
    else:
        for finding in result.findings:
            print(finding.line())
        print(summary(result))
    return 1 if result.findings else 0


if __name__ == "__main__":
    sys.exit(main())
