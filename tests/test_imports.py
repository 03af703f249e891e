"""Imports point one way: classifier <- policy <- proxy_addons, dashboard <- hearthguard; ui is
a leaf (templates, catalogs, languages) that any of them may use and that imports none of them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

FORBIDDEN = {
    "classifier": {"policy", "proxy_addons", "dashboard", "hearthguard", "mitmproxy", "flask"},
    "policy": {"proxy_addons", "dashboard", "hearthguard", "mitmproxy", "flask", "flask_wtf"},
    "dashboard": {"proxy_addons", "hearthguard", "mitmproxy"},
    "proxy_addons": {"dashboard", "hearthguard", "flask"},
    "ui": {"classifier", "policy", "proxy_addons", "dashboard", "hearthguard"},
}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package: str) -> None:
    files = sorted((REPO / package).rglob("*.py"))
    assert files, f"no modules found in {package}"
    offenders = {
        str(f.relative_to(REPO)): sorted(imported_roots(f) & FORBIDDEN[package]) for f in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}
