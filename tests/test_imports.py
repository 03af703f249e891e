"""Imports point one way: classifier <- policy <- proxy_addons, dashboard <- hearthguard; ui is
a leaf (templates, catalogs, languages) that any of them may use and that imports none of them."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

FORBIDDEN = {
    "classifier": {
        "policy", "proxy_addons", "dashboard", "hearthguard", "ui", "mitmproxy", "flask"
    },  # fmt: skip
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


#: scikit-learn and SciPy are for training (``classifier/training``) only: the run-time models
#: are numpy, and the proxy and dashboard never need either.
SCIENCE = {"sklearn", "scipy"}
RUN_TIME = ("classifier/models", "dashboard", "policy", "proxy_addons")


@pytest.mark.parametrize("folder", RUN_TIME)
def test_run_time_code_never_imports_scikit_learn_or_scipy(folder: str) -> None:
    files = sorted((REPO / folder).rglob("*.py"))
    assert files, f"no modules found in {folder}"
    offenders = {str(f.relative_to(REPO)): sorted(imported_roots(f) & SCIENCE) for f in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_loading_every_run_time_module_and_the_models_loads_neither() -> None:
    """Transitively too: importing every module of the run-time packages and loading the
    shipped models leaves scikit-learn and SciPy out of ``sys.modules``."""
    code = (
        "import importlib, pkgutil, sys\n"
        "for name in ('classifier.models', 'classifier.lists', 'policy', 'proxy_addons',"
        " 'dashboard'):\n"
        "    package = importlib.import_module(name)\n"
        "    for info in pkgutil.walk_packages(package.__path__, name + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "from classifier.models.loading import load_models\n"
        "loaded = load_models()\n"
        "assert not loaded.errors, loaded.errors\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_opening_the_stores_needs_no_sqlite_library_beyond_the_standard_one(data_dir) -> None:
    """Every command and the dashboard open policy.db and activity.db at start: that must not
    bring a database library and its dependencies along (sqlite-utils with dateutil, tabulate
    and pluggy cost 58 ms and 7 MiB a process), nor numpy."""
    code = f"""
import sys
before = set(sys.modules)
from policy.store import PolicyStore
from policy.activity import ActivityStore
PolicyStore({str(data_dir.policy_db)!r}).close()
ActivityStore({str(data_dir.activity_db)!r}).close()
roots = {{m.split(".")[0] for m in set(sys.modules) - before}}
print(sorted(roots & {{"sqlite_utils", "dateutil", "tabulate", "pluggy", "sqlite_fts4", "numpy"}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_dashboard_serves_its_pages_without_numpy(data_dir) -> None:
    """numpy is loaded by the dashboard only for "Test a site", which needs the models, and
    cryptography (WireGuard keys) not for any page a parent opens first."""
    code = f"""
import sys
from dashboard import create_app
from policy.accounts import create_parent
from policy.store import PolicyStore
store = PolicyStore({str(data_dir.policy_db)!r})
create_parent(store, "mum", "correct horse battery", actor="test")
store.close()
app = create_app({{"DATA_DIR": {str(data_dir.root)!r}, "TESTING": True, "WTF_CSRF_ENABLED": False}})
client = app.test_client()
https = {{"base_url": "https://localhost"}}
parent = {{"username": "mum", "password": "correct horse battery"}}
login = client.post("/login", data=parent, **https)
assert login.status_code == 302, login.status_code
for path in ["/", "/activity/", "/profiles/", "/devices/", "/settings/", "/learning/", "/check/"]:
    assert client.get(path, **https).status_code == 200, path
print("numpy" in sys.modules or "cryptography" in sys.modules)
form = {{"url": "https://www.pornhub.com/", "profile": "Household"}}
page = client.post("/check/", data=form, **https)
print("numpy" in sys.modules, page.status_code, "Pornography" in page.get_data(as_text=True))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["False", "True 200 True"]
