""".ci/audit.py: installed distributions matched against OSV advisories, offline.

Every test runs the real script on a small advisory folder in the shape of
pypa/advisory-database (``vulns/<package>/<ID>.yaml``) and a tiny site-packages of
``*.dist-info/METADATA`` files, both written here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
AUDIT = REPO / ".ci" / "audit.py"


def advisory(
    root: Path,
    ident: str,
    package: str,
    events: list[tuple[str, str]] | None = None,
    versions: list[str] | None = None,
    aliases: tuple[str, ...] = (),
    withdrawn: bool = False,
) -> None:
    """Write one OSV record the way the PyPA database lays it out."""
    lines = [f"id: {ident}", "details: A made-up flaw, for tests.", "affected:", "- package:"]
    lines += [f"    name: {package}", "    ecosystem: PyPI", f"    purl: pkg:pypi/{package}"]
    lines += ["  ranges:", "  - type: GIT", "    repo: https://example.invalid/repo", "    events:"]
    lines += ['    - introduced: "0"', "    - fixed: 70f906c51ce49c485f1d355703e9cc3386b1cc2b"]
    if events:
        lines += ["  - type: ECOSYSTEM", "    events:"]
        lines += [f'    - {kind}: "{value}"' for kind, value in events]
    if versions:
        lines += ["  versions:"] + [f'  - "{v}"' for v in versions]
    lines += ["references:", "- type: WEB", "  url: https://example.invalid/advisory"]
    if aliases:
        lines += ["aliases:"] + [f"- {a}" for a in aliases]
    lines += ['modified: "2024-10-09T01:12:52.229549Z"', 'published: "2023-05-02T18:15:00Z"']
    if withdrawn:
        lines += ['withdrawn: "2024-01-02T00:00:00Z"']
    folder = root / "vulns" / package.lower()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{ident}.yaml").write_text("\n".join(lines) + "\n")


def site(root: Path, **installed: str) -> Path:
    """A site-packages folder holding one dist-info per ``name=version``."""
    packages = root / "site-packages"
    for name, version in installed.items():
        info = packages / f"{name}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    packages.mkdir(exist_ok=True)
    return packages


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(AUDIT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
    )


FLASK_RANGES = [
    ("introduced", "0"),
    ("fixed", "2.2.5"),
    ("introduced", "2.3.0"),
    ("fixed", "2.3.2"),
]


@pytest.mark.parametrize(
    ("version", "found"),
    [
        ("2.2.4", True),
        ("2.2.5", False),
        ("2.2.6", False),
        ("2.3.1", True),
        ("2.3.2", False),
        ("3.1.0", False),
        ("0.12", True),
    ],
)
def test_a_version_inside_a_range_is_found_and_the_fixed_version_and_later_are_not(
    tmp_path: Path, version: str, found: bool
) -> None:
    advisory(tmp_path, "PYSEC-2023-62", "flask", FLASK_RANGES, aliases=("CVE-2023-30861",))
    result = run("--advisories", tmp_path, "--path", site(tmp_path, flask=version))
    assert result.returncode == (1 if found else 0), result.stderr
    assert ("PYSEC-2023-62" in result.stdout) is found


def test_a_finding_names_package_version_advisory_aliases_and_later_fixes(tmp_path: Path) -> None:
    advisory(
        tmp_path,
        "PYSEC-2023-62",
        "flask",
        FLASK_RANGES,
        aliases=("CVE-2023-30861", "GHSA-m2qf-hxjv-5gpq"),
    )
    result = run("--advisories", tmp_path, "--path", site(tmp_path, flask="2.2.0", click="8.1.7"))
    assert result.returncode == 1
    finding, last = result.stdout.splitlines()
    assert finding == (
        "flask 2.2.0: PYSEC-2023-62 (CVE-2023-30861, GHSA-m2qf-hxjv-5gpq), fixed in 2.2.5, 2.3.2"
    )
    assert last.startswith("1 finding(s): 2 distributions checked against 1 advisories")
    assert "newest record 2024-10-09" in last


@pytest.mark.parametrize(
    ("version", "found"), [("1.0", True), ("1.4", True), ("1.4.1", False), ("0.9", False)]
)
def test_last_affected_is_inclusive(tmp_path: Path, version: str, found: bool) -> None:
    advisory(tmp_path, "PYSEC-2024-1", "wsproto", [("introduced", "1.0"), ("last_affected", "1.4")])
    result = run("--advisories", tmp_path, "--path", site(tmp_path, wsproto=version))
    assert result.returncode == (1 if found else 0), result.stdout + result.stderr
    if found:
        assert "no fixed version" in result.stdout


@pytest.mark.parametrize(("version", "found"), [("0.5", True), ("1.0.0", True), ("1.0.1", False)])
def test_an_explicit_versions_list_is_matched(tmp_path: Path, version: str, found: bool) -> None:
    advisory(tmp_path, "PYSEC-2024-2", "brotli", versions=["0.5", "1.0"])
    result = run("--advisories", tmp_path, "--path", site(tmp_path, brotli=version))
    assert result.returncode == (1 if found else 0)


@pytest.mark.parametrize(
    ("installed", "named"),
    [
        ("Flask", "flask"),
        ("ruamel_yaml", "ruamel.yaml"),
        ("zope.interface", "Zope_Interface"),
        ("charset_normalizer", "charset-normalizer"),
    ],
)
def test_names_are_compared_normalised(tmp_path: Path, installed: str, named: str) -> None:
    advisory(tmp_path, "PYSEC-2024-3", named, [("introduced", "0"), ("fixed", "9")])
    result = run("--advisories", tmp_path, "--path", site(tmp_path, **{installed: "1.0"}))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "PYSEC-2024-3" in result.stdout


def test_a_record_written_in_flow_style_is_still_read(tmp_path: Path) -> None:
    (tmp_path / "vulns" / "flask").mkdir(parents=True)
    (tmp_path / "vulns" / "flask" / "PYSEC-2024-13.yaml").write_text(
        "id: PYSEC-2024-13\naffected: [{package: {name: Flask, ecosystem: PyPI},"
        " ranges: [{type: ECOSYSTEM, events: [{introduced: '0'}, {fixed: '2.0'}]}]}]\n"
    )
    result = run("--advisories", tmp_path, "--path", site(tmp_path, flask="1.1.4"))
    assert result.returncode == 1 and "PYSEC-2024-13" in result.stdout


def test_another_package_with_the_flawed_version_is_not_found(tmp_path: Path) -> None:
    advisory(tmp_path, "PYSEC-2024-4", "flask-wtf", [("introduced", "0"), ("fixed", "9")])
    assert run("--advisories", tmp_path, "--path", site(tmp_path, flask="1.0")).returncode == 0


def test_a_withdrawn_advisory_is_skipped(tmp_path: Path) -> None:
    advisory(tmp_path, "PYSEC-2024-5", "h11", [("introduced", "0")], withdrawn=True)
    result = run("--advisories", tmp_path, "--path", site(tmp_path, h11="0.14.0"))
    assert result.returncode == 0
    assert "1 withdrawn skipped" in result.stdout


@pytest.mark.parametrize("ignore", ["PYSEC-2024-6", "CVE-2024-0006", "cve-2024-0006"])
def test_ignore_by_id_or_alias_leaves_the_other_findings(tmp_path: Path, ignore: str) -> None:
    advisory(tmp_path, "PYSEC-2024-6", "h11", [("introduced", "0")], aliases=("CVE-2024-0006",))
    advisory(tmp_path, "PYSEC-2024-7", "h11", [("introduced", "0.10")])
    packages = site(tmp_path, h11="0.14.0")
    both = run("--advisories", tmp_path, "--path", packages)
    assert both.returncode == 1 and both.stdout.count("h11 0.14.0") == 2
    one = run("--advisories", tmp_path, "--path", packages, "--ignore", ignore)
    assert one.returncode == 1
    assert "PYSEC-2024-6" not in one.stdout and "PYSEC-2024-7" in one.stdout
    assert "1 finding(s), 1 ignored" in one.stdout
    none = run(
        "--advisories",
        tmp_path,
        "--path",
        packages,
        "--ignore",
        ignore,
        "--ignore",
        "PYSEC-2024-7",
        "--ignore",
        "PYSEC-1999-1",
    )
    assert none.returncode == 0
    assert "--ignore PYSEC-1999-1: matched no finding" in none.stderr


def test_json_output_lists_findings_and_counts(tmp_path: Path) -> None:
    advisory(tmp_path, "PYSEC-2023-62", "flask", FLASK_RANGES, aliases=("CVE-2023-30861",))
    result = run("--advisories", tmp_path, "--path", site(tmp_path, flask="2.3.0"), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["findings"] == [
        {
            "package": "flask",
            "version": "2.3.0",
            "advisory": "PYSEC-2023-62",
            "aliases": ["CVE-2023-30861"],
            "fixed": ["2.3.2"],
        }
    ]
    assert (report["checked"], report["advisories"]) == (1, 1)


def test_the_vulns_folder_and_a_checkout_both_work_and_workflows_are_not_advisories(
    tmp_path: Path,
) -> None:
    advisory(tmp_path, "PYSEC-2024-8", "idna", [("introduced", "0"), ("fixed", "3.7")])
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yaml").write_text("id: not-an-advisory\nname: idna\n")
    packages = site(tmp_path, idna="3.6")
    for folder in (tmp_path, tmp_path / "vulns"):
        result = run("--advisories", folder, "--path", packages)
        assert result.returncode == 1 and "against 1 advisories" in result.stdout


def test_the_running_interpreter_is_audited_by_default(tmp_path: Path) -> None:
    advisory(tmp_path, "PYSEC-2024-9", "pytest", [("introduced", "0")])
    result = run("--advisories", tmp_path)
    assert result.returncode == 1
    assert f"pytest {pytest.__version__}: PYSEC-2024-9" in result.stdout


def _bad_record(root: Path) -> None:
    (root / "vulns" / "flask").mkdir(parents=True)
    (root / "vulns" / "flask" / "PYSEC-2024-10.yaml").write_text(
        "id: X\nname: flask\naffected: [\n"
    )


def _empty_site_packages(root: Path) -> None:
    (root / "empty").mkdir()
    advisory(root, "PYSEC-2024-12", "flask", [("introduced", "0")])


@pytest.mark.parametrize(
    ("prepare", "args", "message"),
    [
        (lambda root: None, ["--advisories", "{root}/missing"], "not a folder"),
        (lambda root: (root / "vulns").mkdir(), ["--advisories", "{root}"], "holds no advisories"),
        (
            lambda root: (root / "notes.yaml").write_text("title: hello\n"),
            ["--advisories", "{root}"],
            "holds no advisories",
        ),
        (_bad_record, ["--advisories", "{root}"], "not readable YAML"),
        (
            lambda root: advisory(root, "PYSEC-2024-11", "flask", [("introduced", "0")]),
            ["--advisories", "{root}", "--path", "{root}/nowhere"],
            "not a folder",
        ),
        (
            _empty_site_packages,
            ["--advisories", "{root}", "--path", "{root}/empty"],
            "holds no installed distributions",
        ),
    ],
    ids=[
        "missing-folder",
        "empty-vulns",
        "no-records",
        "damaged-record",
        "missing-path",
        "empty-site-packages",
    ],
)
def test_bad_input_exits_2_with_one_line_and_prints_nothing(
    tmp_path: Path, prepare: Callable[[Path], object], args: list[str], message: str
) -> None:
    prepare(tmp_path)
    site(tmp_path, flask="2.0.0")
    result = run(*(a.format(root=tmp_path) for a in args))
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr
